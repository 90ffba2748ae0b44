// Placeholder until the page is built: its heading only.
import { t } from "../i18n";

export function MyPayPage() {
  return (
    <main id="main">
      <h1>{t("myPay")}</h1>
    </main>
  );
}
