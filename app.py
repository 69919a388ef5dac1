from cookieconsent import create_app

app = create_app()
