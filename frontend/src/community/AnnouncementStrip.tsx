/** The active announcements at the top of the home feed (GET /announcements), each with a dismiss
 * button; dismissing one (POST /announcements/{id}/read) hides it at once and for good on this account.
 * The text is shown as text; only its http(s) addresses become links. Nothing shows while there is
 * nothing to say, and a failed load shows nothing either (the feed matters more). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import { ErrorBanner } from "../components/Errors";
import { Icon } from "../components/Icon";
import { type Announcement, ANNOUNCEMENTS_KEY, fetchAnnouncements, markAnnouncementRead } from "./api";
import { LinkedText } from "./LinkedText";
import "./community.css";

type List = { items: Announcement[] };

function setRead(list: List | undefined, id: string, read: boolean): List | undefined {
  return list && { items: list.items.map((item) => (item.id === id ? { ...item, read } : item)) };
}

/** `onLastDismissed` gets the keyboard focus somewhere useful once the strip is gone. */
export function AnnouncementStrip({ onLastDismissed }: { onLastDismissed?: () => void }) {
  const client = useQueryClient();
  const strip = useRef<HTMLElement>(null);
  const query = useQuery({ queryKey: ANNOUNCEMENTS_KEY, queryFn: fetchAnnouncements, staleTime: 60_000 });
  const dismiss = useMutation({
    mutationFn: (id: string) => markAnnouncementRead(id),
    onMutate: async (id) => {
      await client.cancelQueries({ queryKey: ANNOUNCEMENTS_KEY });
      client.setQueryData<List>(ANNOUNCEMENTS_KEY, (list) => setRead(list, id, true));
    },
    onError: (_error, id) => client.setQueryData<List>(ANNOUNCEMENTS_KEY, (list) => setRead(list, id, false)),
  });
  const shown = query.data?.items.filter((item) => !item.read) ?? [];
  const close = (id: string) => {
    const index = shown.findIndex((item) => item.id === id);
    const next = shown[index + 1] ?? shown[index - 1];
    dismiss.mutate(id);
    requestAnimationFrame(() => {
      const buttons = strip.current?.querySelectorAll<HTMLElement>("[data-announcement]") ?? [];
      const button = next && [...buttons].find((element) => element.dataset.announcement === next.id);
      if (button) button.focus();
      else onLastDismissed?.();
    });
  };
  if (shown.length === 0) return null;
  return (
    <section className="announcements" aria-label="Announcements" ref={strip}>
      <ErrorBanner error={dismiss.error} />
      <ul className="list-plain">
        {shown.map((item) => (
          <li key={item.id} className="announcement">
            <span className="announcement-mark" aria-hidden="true">
              i
            </span>
            <p className="announcement-body">
              <LinkedText text={item.text} />
            </p>
            <button
              type="button"
              className="icon-button announcement-dismiss"
              data-announcement={item.id}
              aria-label={`Dismiss announcement: ${item.text.length > 40 ? `${item.text.slice(0, 40)}…` : item.text}`}
              onClick={() => close(item.id)}
            >
              <Icon name="close" size={20} />
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
