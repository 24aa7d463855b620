// Placeholder: replaced by the screen's owner.
export function Signup() {
  return <h1>Sign up</h1>;
}
