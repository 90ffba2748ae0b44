// Placeholder until the page is built.
export function AcceptInvitationPage() {
  return <main id="main" />;
}
