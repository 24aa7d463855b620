// Placeholder: replaced by the screen's owner.
export function Login() {
  return <h1>Log in</h1>;
}
