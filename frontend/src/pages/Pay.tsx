// Placeholder until the page is built: its heading only.
import { t } from "../i18n";

export function PayPage() {
  return (
    <main id="main">
      <h1>{t("pay")}</h1>
    </main>
  );
}
