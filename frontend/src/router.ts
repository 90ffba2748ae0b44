// A tiny history-API router: the gateway answers index.html for every client route.
import { useEffect, useState } from "preact/hooks";

const listeners = new Set<(path: string) => void>();

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  listeners.forEach((fn) => fn(location.pathname));
  window.scrollTo(0, 0);
}

addEventListener("popstate", () => listeners.forEach((fn) => fn(location.pathname)));

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    listeners.add(setPath);
    return () => void listeners.delete(setPath);
  }, []);
  return path;
}

/** Same-origin link clicks (without modifier keys) become client navigations. */
export function onLinkClick(event: MouseEvent): void {
  const target = (event.target as Element | null)?.closest("a");
  if (!target || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const href = target.getAttribute("href");
  if (!href || !href.startsWith("/") || target.target) return;
  event.preventDefault();
  navigate(href);
}
