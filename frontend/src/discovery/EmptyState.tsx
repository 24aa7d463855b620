import type { ReactNode } from "react";
import "./discovery.css";

/** A centred "nothing here yet" message with a round outlined icon, as Instagram shows it. */
export function EmptyState({ icon, title, children }: { icon: ReactNode; title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <span className="empty-icon" aria-hidden="true">
        {icon}
      </span>
      <h2 className="empty-title">{title}</h2>
      {children && <p className="empty-text">{children}</p>}
    </div>
  );
}
