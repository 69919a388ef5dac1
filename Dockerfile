# cookieconsent: the wheel, installed by deploy/install.sh (as tests/test_wheel.py installs it),
# served by gunicorn with the shipped settings, as a user without privileges.
#
#   docker build -t cookieconsent .
#   docker run -e COOKIECONSENT_SECRET_KEYS=… -e COOKIECONSENT_DATABASE_URL=… -p 8000:8000 cookieconsent
#
# compose.yaml runs it with the webhook worker, PostgreSQL and Redis. See docs/deployment.md.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY cookieconsent ./cookieconsent
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PATH=/opt/cookieconsent/bin:$PATH \
    COOKIECONSENT_ENV=production \
    COOKIECONSENT_BIND=0.0.0.0:8000 \
    COOKIECONSENT_INSTANCE_PATH=/var/lib/cookieconsent
COPY deploy/install.sh /tmp/install.sh
COPY --from=build /dist/ /tmp/dist/
RUN sh /tmp/install.sh /tmp/dist/cookieconsent-*.whl /opt/cookieconsent \
    && rm -rf /tmp/install.sh /tmp/dist /root/.cache \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/cookieconsent \
       --create-home --shell /usr/sbin/nologin cookieconsent
USER cookieconsent
WORKDIR /var/lib/cookieconsent
EXPOSE 8000
# 200 when the database answers at the code's schema; urlopen raises on a 503.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "-c", "python:cookieconsent.gunicorn_conf", "cookieconsent.wsgi:app"]
