// The shell: header (language, sign-out), routes, and the sign-in gate (a reload renews the sign-in from the
// refresh cookie; an expired one leads back to sign-in, then to the page that was open).
import { Suspense } from "preact/compat";
import { useEffect, useState } from "preact/hooks";
import { auth, onAuth, refresh, signOut, type SignedIn } from "./api/client";
import { lang, setLang, t, useLang, type Lang } from "./i18n";
import { Home } from "./pages/Home";
import { SignIn } from "./pages/SignIn";
import { navigate, onLinkClick, usePath } from "./router";
import { match, routes } from "./routes";

/** The pages the caller's role may open, as links; the current one is marked for screen readers. */
function Nav(props: { who: SignedIn; path: string }) {
  const role = props.who.me.role;
  const links = [
    { href: "/", label: role === "host" ? t("mySessions") : t("liveNow") },
    ...routes
      .filter((r) => r.nav?.roles.includes(role))
      .map((r) => ({ href: r.nav!.href, label: t(r.nav!.label) })),
  ];
  return (
    <nav class="pages" aria-label={t("navLabel")}>
      {links.map((link) => (
        <a key={link.href} href={link.href} aria-current={props.path === link.href ? "page" : undefined}>
          {link.label}
        </a>
      ))}
    </nav>
  );
}

function Header(props: { who: SignedIn | null }) {
  useLang();
  return (
    <header class="top">
      <a class="skip" href="#main">{t("skip")}</a>
      <a class="brand" href="/">
        <span aria-hidden="true" class="dot" /> {t("appName")}
      </a>
      <nav>
        <label class="sr-only" for="lang">{t("language")}</label>
        <select id="lang" value={lang()} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
          <option value="id">Bahasa Indonesia</option>
          <option value="en">English</option>
        </select>
        {props.who && (
          <button type="button" class="link" onClick={() => signOut()} title={t("signedInAs", { email: props.who.email ?? props.who.me.sub, role: props.who.me.role })}>
            {t("signOut")}
          </button>
        )}
      </nav>
    </header>
  );
}

export function App() {
  useLang();
  const path = usePath();
  const [who, setWho] = useState<SignedIn | null>(auth());
  // Who the open page belongs to: kept while an expired sign-in is renewed, so the page stays mounted (hidden)
  // and nothing typed into it is lost; cleared by signing out.
  const [kept, setKept] = useState<SignedIn | null>(auth());
  const [booting, setBooting] = useState(true);
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    const off = onAuth((next, wasExpired) => {
      setExpired(wasExpired);
      setWho(next);
      if (next || !wasExpired) setKept(next);
    });
    refresh().finally(() => setBooting(false));
    return off;
  }, []);

  const found = match(path);
  const loading = <main id="main"><p class="state">{t("loading")}</p></main>;
  let page = null;
  let signIn = null;
  if (found?.route.public) {
    const Page = found.route.page;
    page = <Suspense fallback={loading}><Page {...found.props} /></Suspense>;
  } else if (booting) page = loading;
  else {
    if (!who) {
      signIn = (
        <SignIn
          expired={expired}
          onDone={() => {
            setExpired(false);
            if (path === "/signin") navigate("/", true);
          }}
        />
      );
    }
    const owner = who ?? kept;
    if (owner) {
      const Page = found?.route.page;
      const allowed = !found?.route.nav || found.route.nav.roles.includes(owner.me.role);
      if (path === "/") page = <Home />;
      else if (Page && allowed) page = <Suspense fallback={loading}><Page {...found.props} /></Suspense>;
      else page = <main id="main"><p class="state">{t("notFound")}</p></main>;
      // Another person signing in gets a fresh page, not the previous one's.
      page = <div key={owner.me.sub} hidden={!who} inert={!who}>{page}</div>;
    }
  }
  return (
    <div onClick={onLinkClick}>
      <Header who={who} />
      {who && !found?.route.public && <Nav who={who} path={path} />}
      {signIn}
      {page}
    </div>
  );
}
