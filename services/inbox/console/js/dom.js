// Building the page with DOM APIs only: text is always set as text (textContent), never parsed as
// HTML, so whatever a guest wrote (script tags, event handlers, SVG, javascript: links) stays inert.

/** h("button.primary", {onclick, title}, "text", child…): an element with attributes and children. */
/** Light formatting as elements, never markup: **bold**, *italic*, blocks of "- " lines as lists
 * (what notify puts in the email's HTML for a formatted solicitation). */
export function formatted(text) {
  const inline = (line) => line.split(/(\*\*\S(?:.*?\S)?\*\*|(?<![*\w])\*\S(?:[^*]*?\S)?\*(?![*\w]))/).map((part, i) => {
    if (i % 2 === 0) return part;
    return part.startsWith("**") ? h("strong", {}, part.slice(2, -2)) : h("em", {}, part.slice(1, -1));
  });
  return h("div.text.formatted", {}, String(text || "").trim().split(/\n\s*\n/).map((block) => {
    const lines = block.split("\n");
    if (lines.every((line) => line.startsWith("- "))) return h("ul", {}, lines.map((line) => h("li", {}, inline(line.slice(2)))));
    return h("p", {}, lines.map((line, i) => [i ? h("br") : null, inline(line)]));
  }));
}

export function h(spec, attributes = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const element = document.createElement(tag || "div");
  if (classes.length) element.className = classes.join(" ");
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "href") {
      element.setAttribute("href", safeHref(value));
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Only links the console makes itself: same-origin paths, mailto: and tel:. Anything else is dropped. */
export function safeHref(value) {
  const text = String(value);
  if (text.startsWith("/") && !text.startsWith("//")) return text;
  if (/^(mailto|tel):[^\s<>"]+$/i.test(text)) return text;
  return "#";
}

/** A link out of the console (a review on its platform): http(s) only, in a new tab that cannot reach
 * back (noopener) nor learn where it came from (noreferrer). Null for any other address. */
export function externalLink(url, ...children) {
  let parsed;
  try {
    parsed = new URL(String(url || ""));
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  const link = h("a.external", { target: "_blank", rel: "noopener noreferrer" }, ...children);
  link.setAttribute("href", parsed.href);
  return link;
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
