// Placeholder until the page is built: its heading only.
import { t } from "../i18n";

export function HostsPage() {
  return (
    <main id="main">
      <h1>{t("hosts")}</h1>
    </main>
  );
}
