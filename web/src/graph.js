// The autograd graph as a picture: the service's DOT laid out by Graphviz compiled to
// WebAssembly (@viz-js/viz), loaded on first use (it is most of the page's weight).

let vizPromise = null;

async function viz() {
  if (vizPromise === null) {
    vizPromise = import("@viz-js/viz").then((module) => module.instance());
  }
  return vizPromise;
}

export async function renderGraph(dot) {
  const instance = await viz();
  const svg = instance.renderSVGElement(dot);
  svg.classList.add("graph-svg"); // its natural size, shrunk to the panel when wider
  return svg;
}
