// The route table: each page, the path it answers, who sees it in the navigation, and its lazily loaded module
// (so the home page's JavaScript carries no other page). The gateway answers index.html for every client route.
import { lazy } from "preact/compat";
import type { ComponentType } from "preact";
import type { Me } from "./api/client";
import type { Key } from "./i18n";

type Role = Me["role"];
/** A page gets the path's named groups as props. */
export type PageProps = Record<string, string>;

export interface Route {
  pattern: RegExp;
  page: ComponentType<PageProps>;
  /** In the navigation for these roles, under this label (absent: reached by links only). */
  nav?: { href: string; label: Key; roles: Role[] };
  /** Reachable without signing in (links in invitation and password-reset mails). */
  public?: boolean;
}

const STAFF: Role[] = ["owner", "manager"];

/** Pages declare the props their pattern names; the table erases them to PageProps. */
function page(load: () => Promise<ComponentType<any>>): ComponentType<PageProps> {
  return lazy(() => load().then((component) => ({ default: component as ComponentType<PageProps> })));
}

export const routes: Route[] = [
  { pattern: /^\/sessions\/(?<accountId>[^/]+)\/(?<sessionId>\d+)$/, page: page(() => import("./pages/Session").then((m) => m.SessionPage)) },
  { pattern: /^\/analytics$/, page: page(() => import("./pages/Analytics").then((m) => m.AnalyticsPage)), nav: { href: "/analytics", label: "analytics", roles: STAFF } },
  { pattern: /^\/hosts$/, page: page(() => import("./pages/Hosts").then((m) => m.HostsPage)), nav: { href: "/hosts", label: "hosts", roles: STAFF } },
  { pattern: /^\/pay$/, page: page(() => import("./pages/Pay").then((m) => m.PayPage)), nav: { href: "/pay", label: "pay", roles: STAFF } },
  { pattern: /^\/accounts$/, page: page(() => import("./pages/Accounts").then((m) => m.AccountsPage)), nav: { href: "/accounts", label: "accounts", roles: STAFF } },
  { pattern: /^\/alerts$/, page: page(() => import("./pages/Alerts").then((m) => m.AlertsPage)), nav: { href: "/alerts", label: "alerts", roles: STAFF } },
  { pattern: /^\/my\/pay$/, page: page(() => import("./pages/MyPay").then((m) => m.MyPayPage)), nav: { href: "/my/pay", label: "myPay", roles: ["host"] } },
  { pattern: /^\/my\/check-in$/, page: page(() => import("./pages/CheckIn").then((m) => m.CheckInPage)), nav: { href: "/my/check-in", label: "checkIn", roles: ["host"] } },
  { pattern: /^\/accept-invitation$/, page: page(() => import("./pages/AcceptInvitation").then((m) => m.AcceptInvitationPage)), public: true },
  { pattern: /^\/reset-password$/, page: page(() => import("./pages/ResetPassword").then((m) => m.ResetPasswordPage)), public: true },
];

/** The route answering `path` and its named groups (decoded), or null for the home page and unknown paths. */
export function match(path: string): { route: Route; props: PageProps } | null {
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (found) {
      const props: PageProps = {};
      for (const [name, value] of Object.entries(found.groups ?? {})) props[name] = decodeURIComponent(value);
      return { route, props };
    }
  }
  return null;
}
