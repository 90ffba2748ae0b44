// Placeholder until the page is built: its heading only.
import { t } from "../i18n";

export function AccountsPage() {
  return (
    <main id="main">
      <h1>{t("accounts")}</h1>
    </main>
  );
}
