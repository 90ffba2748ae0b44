// Placeholder until the page is built: its heading only.
import { t } from "../i18n";

export function AnalyticsPage() {
  return (
    <main id="main">
      <h1>{t("analytics")}</h1>
    </main>
  );
}
