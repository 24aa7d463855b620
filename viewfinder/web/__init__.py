"""The web app (frontend/, built by Vite) served at / with deep links falling back to index.html."""
