// Placeholder until the page is built.
export function ResetPasswordPage() {
  return <main id="main" />;
}
