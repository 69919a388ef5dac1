/* config.js: the configuration pages' live preview and autosave (progressive enhancement).
 *
 * A form marked data-autosave is saved as the draft shortly after each change (POST with its
 * CSRF token, asking for JSON); the preview frame then reloads with the draft. Field messages
 * from the answer are shown next to their fields. Without this script every form still posts.
 */
const DEBOUNCE_MS = 250;

const frame = document.querySelector("[data-preview-frame]");
const controls = document.querySelector("[data-preview-controls]");
const device = document.querySelector("[data-preview-device]");

function previewUrl() {
  const url = new URL(frame.getAttribute("data-preview-src"), location.href);
  const data = new FormData(controls);
  url.searchParams.set("regime", data.get("p_regime") || "");
  url.searchParams.set("lang", data.get("p_lang") || "");
  url.searchParams.set("theme", data.get("p_theme") || "");
  url.searchParams.set("v", String(Date.now()));
  return url.toString();
}

function reloadPreview() {
  if (!frame || !controls) return;
  frame.src = previewUrl();
  if (device) {
    const phone = new FormData(controls).get("p_width") === "phone";
    device.classList.toggle("is-phone", phone);
    device.classList.toggle("is-desktop", !phone);
  }
}

if (controls) {
  controls.addEventListener("change", reloadPreview);
  controls.addEventListener("submit", (event) => {
    event.preventDefault();
    reloadPreview();
  });
  const apply = controls.querySelector("[data-preview-apply]");
  if (apply) apply.hidden = true;
}

/** Clears the messages of the last save and shows the new ones next to their fields. */
function showErrors(form, errors) {
  form.querySelectorAll("[data-live-error], .field > .error").forEach((node) => node.remove());
  form.querySelectorAll(".has-error").forEach((node) => node.classList.remove("has-error"));
  form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  for (const [id, messages] of Object.entries(errors)) {
    const input = id ? document.getElementById(id) : null;
    const message = document.createElement("p");
    message.className = "error";
    message.setAttribute("data-live-error", "");
    message.textContent = messages.join(" ");
    if (input) {
      message.id = id + "-error";
      input.setAttribute("aria-invalid", "true");
      const holder = input.closest(".field") || input.parentElement;
      holder.classList.add("has-error");
      holder.append(message);
    } else {
      message.setAttribute("role", "alert");
      form.prepend(message);
    }
  }
}

function autosave(form) {
  let timer = 0;
  let sent = 0;
  const save = () => {
    const mine = ++sent;
    fetch(form.getAttribute("action") || location.href, {
      method: "POST",
      body: new FormData(form),
      headers: {Accept: "application/json"},
      credentials: "same-origin",
    }).then((response) => response.json()).then((data) => {
      if (mine !== sent) return;
      showErrors(form, data.errors || {});
      if (data.saved) {
        const bar = document.querySelector("[data-draftbar]");
        if (bar) bar.hidden = false;
        reloadPreview();
      }
    }).catch(() => {});
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(save, DEBOUNCE_MS);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}

document.querySelectorAll("form[data-autosave]").forEach(autosave);

// A colour input's value is written beside it as it changes.
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "color") return;
  const shown = input.parentElement.querySelector("[data-color-value]");
  if (shown) shown.textContent = input.value;
});
