// Placeholder until the page is built: its heading only.
import { t } from "../i18n";

export function CheckInPage() {
  return (
    <main id="main">
      <h1>{t("checkIn")}</h1>
    </main>
  );
}
