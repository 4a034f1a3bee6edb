// The settings form: built from /api/options, read into and filled from the flat settings (the URL query).

const BOOLEAN = new Set(["batchnorm", "bottleneck", "input_layer", "standardize"]);

function field(prefix, key, value, opts) {
  const label = document.createElement("label");
  label.append(key + " ");
  let input;
  const name = prefix + key;
  if (BOOLEAN.has(key)) {
    input = document.createElement("input");
    input.type = "checkbox";
    input.checked = value === "true";
  } else if (key === "activation" || key === "vector_field") {
    input = document.createElement("select");
    for (const a of key === "activation" ? opts.activations : opts.vector_fields) input.add(new Option(a, a));
    if (value != null) input.value = value;
  } else {
    input = document.createElement("input");
    input.type = "text";
    input.value = value ?? "";
  }
  input.name = name;
  input.id = "f-" + name.replace(".", "-");
  label.append(input);
  return label;
}

export class SettingsForm {
  constructor(form, opts, onChange) {
    this.form = form;
    this.opts = opts;
    this.onChange = onChange;
    const data = form.querySelector("#f-data"), kind = form.querySelector("#f-kind"), map = form.querySelector("#f-map");
    for (const name of Object.keys(opts.datasets)) data.add(new Option(name, name));
    for (const name of Object.keys(opts.kinds)) kind.add(new Option(name, name));
    for (const name of opts.maps) map.add(new Option(name.replace("_", " "), name));
    data.addEventListener("change", () => { this.buildData(data.value, {}); this.changed(); });
    kind.addEventListener("change", () => { this.buildModel(kind.value, opts.kind_defaults[kind.value] || {}); this.changed(); });
    form.addEventListener("change", (ev) => {
      if (ev.target === data || ev.target === kind || ev.target.id === "csv-file") return;
      this.changed();
    });
    const train = form.querySelector("#train-params");
    for (const key of opts.train) train.append(field("t.", key, opts.defaults["t." + key], opts));
  }

  changed() { this.onChange(this.read()); }

  buildData(name, values) {
    const box = this.form.querySelector("#data-params");
    box.replaceChildren();
    const params = this.opts.datasets[name] || {};
    for (const [key, def] of Object.entries(params)) {
      box.append(field("d.", key, values["d." + key] ?? (name === this.opts.defaults.data ? this.opts.defaults["d." + key] : null) ?? def, this.opts));
    }
    this.form.querySelector("#csv-box").hidden = name !== "csv";
    if (name !== "csv") this.form.querySelector("#f-upload").value = "";
  }

  buildModel(kind, values) {
    const box = this.form.querySelector("#model-params");
    box.replaceChildren();
    for (const key of this.opts.kinds[kind]) box.append(field("m.", key, values["m." + key] ?? null, this.opts));
    this.form.querySelector("#mlp-hint").hidden = kind !== "mlp";
  }

  // Fill every field from flat settings (as the server returns them, canonical).
  fill(values) {
    this.form.querySelector("#f-data").value = values.data;
    this.buildData(values.data, values);
    this.form.querySelector("#f-kind").value = values.kind;
    this.buildModel(values.kind, values);
    for (const el of this.form.elements) {
      if (!el.name || el.name === "data" || el.name === "kind") continue;
      if (!(el.name in values)) { if (el.type === "checkbox") el.checked = false; continue; }
      if (el.type === "checkbox") el.checked = values[el.name] === "true";
      else el.value = values[el.name];
    }
  }

  // Flat settings from the form: empty text fields are left out; an MLP sends widths or the shorthand.
  read() {
    const out = {};
    for (const el of this.form.elements) {
      if (!el.name || el.type === "file") continue;
      if (el.type === "checkbox") out[el.name] = el.checked ? "true" : "false";
      else if (el.value.trim() !== "") out[el.name] = el.value.trim();
    }
    if (out.kind === "mlp") {
      if (out["m.widths"]) { delete out["m.width"]; delete out["m.depth"]; delete out["m.bottleneck"]; }
      else delete out["m.widths"];
    }
    return out;
  }

  markInvalid(message) {
    for (const el of this.form.elements) el.classList?.remove("invalid");
    if (!message) return;
    for (const el of this.form.elements) {
      const key = el.name?.split(".").at(-1);
      if (key && key.length > 1 && new RegExp(`\\b${key}\\b`).test(message)) el.classList.add("invalid");
    }
  }
}
