// Which upstream a request goes to: one URL (the request path appended to it) or a route table whose longest
// matching path prefix wins (the rest of the path appended to the route's URL). Shared by the Worker
// (UPSTREAM_URL, ROUTES) and the Node gateway (--upstream); `names` says how the host calls the two settings.

export type Router = (url: URL) => URL | null;

interface Route {
  prefix: string;
  target: URL;
}

export function parseTarget(text: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new ConfigError(`${what} is not a URL: ${JSON.stringify(text)}`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new ConfigError(`${what} must be http(s): ${text}`);
  return u;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function join(target: URL, rest: string, search: string): URL {
  const u = new URL(target);
  if (rest !== "" && rest !== "/") u.pathname = u.pathname.replace(/\/$/, "") + rest;
  if (u.search === "") u.search = search;
  return u;
}

export interface SettingNames {
  upstream: string;
  routes: string;
}

export function router(
  upstream: string | undefined,
  routes: string | Record<string, string> | undefined,
  names: SettingNames = { upstream: "UPSTREAM_URL", routes: "ROUTES" },
): Router {
  const R = names.routes;
  if (routes !== undefined && routes !== "") {
    let table: unknown = routes;
    if (typeof routes === "string") {
      try {
        table = JSON.parse(routes);
      } catch {
        throw new ConfigError(`${R} is not JSON`);
      }
    }
    if (table === null || typeof table !== "object" || Array.isArray(table)) throw new ConfigError(`${R} must be an object of path prefix → URL`);
    const list: Route[] = Object.entries(table as Record<string, unknown>).map(([prefix, target]) => {
      if (!prefix.startsWith("/")) throw new ConfigError(`${R}: a path prefix must start with "/": ${prefix}`);
      if (typeof target !== "string") throw new ConfigError(`${R}[${prefix}] must be a URL string`);
      return { prefix: prefix.replace(/\/+$/, ""), target: parseTarget(target, `${R}[${prefix}]`) };
    });
    list.sort((a, b) => b.prefix.length - a.prefix.length);
    return (url) => {
      for (const r of list) {
        if (url.pathname === r.prefix || url.pathname.startsWith(r.prefix + "/")) {
          return join(r.target, url.pathname.slice(r.prefix.length), url.search);
        }
      }
      return null;
    };
  }
  if (!upstream) throw new ConfigError(`set ${names.upstream}${names.routes !== names.upstream ? ` or ${names.routes}` : ""}`);
  const target = parseTarget(upstream, names.upstream);
  return (url) => join(target, url.pathname, url.search);
}
