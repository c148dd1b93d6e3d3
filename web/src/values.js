// Values from the wire shown as Python shows them (a tensor by its PyTorch repr).

export function isTensor(value) {
  return value !== null && typeof value === "object" && value.type === "tensor";
}

function number(value) {
  if (value === "NaN") return "nan";
  if (value === "Infinity") return "inf";
  if (value === "-Infinity") return "-inf";
  return String(value);
}

export function pyRepr(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return number(value);
  if (typeof value === "string") return JSON.stringify(value).replace(/^"|"$/g, "'");
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (typeof value.repr === "string") return value.repr;
  return `{${Object.entries(value).map(([k, v]) => `'${k}': ${pyRepr(v)}`).join(", ")}}`;
}

function finite(x) {
  if (typeof x === "number") return x;
  if (x === "NaN") return NaN;
  if (x === "Infinity") return Infinity;
  if (x === "-Infinity") return -Infinity;
  return null;
}

// A 1-D numeric series (a list of numbers, or a 1-D tensor with data), else null.
export function series(value) {
  let data = value;
  if (isTensor(value)) {
    if (value.shape.length !== 1 || !Array.isArray(value.data) || value.dtype === "bool") {
      return null;
    }
    data = value.data;
  }
  if (!Array.isArray(data) || data.length < 2) return null;
  const numbers = data.map(finite);
  return numbers.some((x) => x === null) ? null : numbers;
}

export function describe(variable) {
  // The variables panel's "type" column: float32[4] for a tensor, else its kind.
  if (variable.kind !== "tensor") return variable.kind;
  return `${variable.dtype}[${(variable.shape || []).join(", ")}]`;
}
