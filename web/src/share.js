// The share link: the notebook's cells in the URL fragment (never sent to the server).
// `#z=` + base64url of the deflate-raw compressed JSON list of cell sources, or `#p=` +
// base64url of the plain JSON where the browser has no CompressionStream.

function toBase64Url(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

export async function encodeCells(sources) {
  const json = new TextEncoder().encode(JSON.stringify(sources));
  if (typeof CompressionStream === "function") {
    return "z=" + toBase64Url(await pipe(json, new CompressionStream("deflate-raw")));
  }
  return "p=" + toBase64Url(json);
}

export async function decodeCells(fragment) {
  const text = fragment.replace(/^#/, "");
  const kind = text.slice(0, 2);
  if (kind !== "z=" && kind !== "p=") return null;
  let bytes = fromBase64Url(text.slice(2));
  if (kind === "z=") bytes = await pipe(bytes, new DecompressionStream("deflate-raw"));
  const sources = JSON.parse(new TextDecoder().decode(bytes));
  if (!Array.isArray(sources) || !sources.every((s) => typeof s === "string")) return null;
  return sources;
}
