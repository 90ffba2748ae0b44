// The shell: header (language, sign-out), routes, and the sign-in gate (a reload renews the sign-in from the
// refresh cookie; an expired one leads back to sign-in, then to the page that was open).
import { lazy, Suspense } from "preact/compat";
import { useEffect, useState } from "preact/hooks";
import { auth, onAuth, refresh, signOut, type SignedIn } from "./api/client";
import { lang, setLang, t, useLang, type Lang } from "./i18n";
import { Home } from "./pages/Home";
import { SignIn } from "./pages/SignIn";
import { navigate, onLinkClick, usePath } from "./router";

const SessionPage = lazy(() => import("./pages/Session").then((m) => m.SessionPage));

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
  const [booting, setBooting] = useState(true);
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    const off = onAuth((next, wasExpired) => {
      setExpired(wasExpired);
      setWho(next);
    });
    refresh().finally(() => setBooting(false));
    return off;
  }, []);

  let page;
  if (booting) page = <main id="main"><p class="state">{t("loading")}</p></main>;
  else if (!who) {
    page = (
      <SignIn
        expired={expired}
        onDone={() => {
          setExpired(false);
          if (path === "/signin") navigate("/", true);
        }}
      />
    );
  } else {
    const session = /^\/sessions\/([^/]+)\/(\d+)$/.exec(path);
    page = session ? (
      <Suspense fallback={<main id="main"><p class="state">{t("loading")}</p></main>}>
        <SessionPage accountId={decodeURIComponent(session[1])} sessionId={session[2]} />
      </Suspense>
    ) : (
      <Home />
    );
  }
  return (
    <div onClick={onLinkClick}>
      <Header who={who} />
      {page}
    </div>
  );
}
