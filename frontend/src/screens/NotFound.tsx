import { Link } from "react-router-dom";

export function NotFound() {
  return (
    <section className="empty-state">
      <h1>Sorry, this page isn't available.</h1>
      <p>
        The link may be broken, or the page may have been removed. <Link to="/">Go back to Viewfinder.</Link>
      </p>
    </section>
  );
}
