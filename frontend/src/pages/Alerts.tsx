// Placeholder until the page is built: its heading only.
import { t } from "../i18n";

export function AlertsPage() {
  return (
    <main id="main">
      <h1>{t("alerts")}</h1>
    </main>
  );
}
