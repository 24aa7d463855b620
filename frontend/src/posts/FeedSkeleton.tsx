/** Grey stand-ins for the first posts while the feed loads (announced once as "Loading posts"). */
export function FeedSkeleton({ count = 2 }: { count?: number }) {
  return (
    <div className="feed-skeleton" role="status">
      <span className="visually-hidden">Loading posts</span>
      {Array.from({ length: count }, (_, i) => (
        <div key={i} className="skeleton-card" aria-hidden="true">
          <div className="skeleton-header">
            <span className="skeleton skeleton-avatar" />
            <span className="skeleton skeleton-line" />
          </div>
          <div className="skeleton skeleton-media" />
          <span className="skeleton skeleton-line" />
          <span className="skeleton skeleton-line skeleton-short" />
        </div>
      ))}
    </div>
  );
}
