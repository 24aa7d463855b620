/** The composer's behaviour: picking files, editing them, uploading them (at most three at once)
 * once "Share" is pressed, following their processing, and creating the post when every item is
 * ready. The post is never created half-way: failed items must be removed, offline ones retried. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import { ApiError, type Post, api, messageOf, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { adjustParam } from "./adjust";
import { type Rotation, type Size, cropParam, isFullView } from "./crop";
import { type Draft, EMPTY, MAX_ITEMS, NO_EDITS, composerReducer, kindOf, mediaIdOf, takesEdits } from "./drafts";
import { isGuardEntry } from "./leaving";
import {
  type ItemProgress,
  OFFLINE_MESSAGE,
  ProcessingFailed,
  createLimiter,
  offlineError,
  uploadFile,
  waitUntilProcessed,
} from "./upload";

/** The API's caption limit (viewfinder/posts/schemas.py Caption). */
export const CAPTION_LIMIT = 2200;
const MAX_PARALLEL_UPLOADS = 3;

export type PostSettings = {
  caption: string;
  location: string;
  hideLikeCount: boolean;
  commentsOff: boolean;
  /** The author's own mark: others see the media behind a tap-to-view warning. */
  sensitive: boolean;
};

/** Characters as the API counts them (code points, not UTF-16 units). */
export function characterCount(text: string): number {
  return Array.from(text).length;
}

/** Deletes an uploaded item no post will use (removed, or left behind), so no orphan file stays.
 * Best effort: an item already gone, or in a post, is left as it is. */
function discardUpload(mediaId: string) {
  void api
    .DELETE("/api/viewfinder/v1/media/{media_id}", { params: { path: { media_id: mediaId } }, keepalive: true })
    .catch(() => undefined);
}

function loadSize(url: string): Promise<Size | undefined> {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
    image.onerror = () => resolve(undefined);
    image.src = url;
  });
}

/** The upload's edit fields for a photo: its filter, rotation, crop and adjustments. */
async function editsOf(draft: Draft): Promise<{ filter: string; rotate?: Rotation; crop?: string; adjust?: string }> {
  if (!takesEdits(draft)) return { filter: "normal" };
  // An untouched "Original" is no crop, whatever the photo's size.
  const untouched = draft.crop === "original" && isFullView(draft.view);
  const natural = untouched ? undefined : (draft.natural ?? (await loadSize(draft.url)));
  return {
    filter: draft.filter,
    rotate: draft.rotation,
    crop: natural ? cropParam(draft.crop, natural, draft.rotation, draft.view) : undefined,
    adjust: adjustParam(draft.adjustments),
  };
}

export function useComposer() {
  const [state, dispatch] = useReducer(composerReducer, EMPTY);
  const [settings, setSettings] = useState<PostSettings>({
    caption: "",
    location: "",
    hideLikeCount: false,
    commentsOff: false,
    sensitive: false,
  });
  const [shareRequested, setShareRequested] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [captionError, setCaptionError] = useState<ApiError | null>(null);
  const [limit] = useState(() => createLimiter(MAX_PARALLEL_UPLOADS));
  const controllers = useRef(new Map<string, AbortController>());
  const urls = useRef(new Set<string>());
  const nextKey = useRef(0);
  const navigate = useNavigate();
  // Set as the new post opens: leaving for it is no discarding (the composer's "Discard post?").
  const posted = useRef(false);
  const queryClient = useQueryClient();
  const { me } = useMe();

  const createPost = useMutation({
    mutationFn: (body: { drafts: Draft[]; settings: PostSettings }) =>
      unwrap(
        api.POST("/api/viewfinder/v1/posts", {
          body: {
            items: body.drafts.map((draft) => ({
              media_id: draft.phase.kind === "ready" ? draft.phase.mediaId : "",
              alt_text: draft.altText.trim(),
            })),
            caption: body.settings.caption,
            location_name: body.settings.location.trim(),
            comments_enabled: !body.settings.commentsOff,
            hide_like_count: body.settings.hideLikeCount,
            sensitive: body.settings.sensitive,
          },
        }),
      ),
    onSuccess: (post: Post) => {
      queryClient.setQueryData(["post", post.id], post);
      const username = me?.profile.username;
      if (username) {
        void queryClient.invalidateQueries({ queryKey: ["user-posts", username] });
        void queryClient.invalidateQueries({ queryKey: ["profile", username] });
      }
      void queryClient.invalidateQueries({ queryKey: ["feed"] });
      posted.current = true;
      // The composer's guard entry (leaving.ts) gives way to the post, so Back from it skips no dead entry.
      navigate(`/p/${post.id}`, { replace: isGuardEntry() });
    },
  });

  /** Uploads one item (or resumes waiting for it) and records each step on it. */
  const send = useCallback(
    (draft: Draft) => {
      const key = draft.key;
      controllers.current.get(key)?.abort("replaced");
      const controller = new AbortController();
      controllers.current.set(key, controller);
      const { signal } = controller;
      let mediaId = draft.phase.kind === "interrupted" ? draft.phase.mediaId : undefined;
      dispatch({ type: "phase", key, phase: mediaId ? { kind: "processing", mediaId } : { kind: "queued" } });
      const upload = () =>
        limit(async () => {
          if (signal.aborted) throw signal.reason;
          if (navigator.onLine === false) throw offlineError();
          dispatch({ type: "phase", key, phase: { kind: "uploading", progress: 0 } });
          const edits = await editsOf(draft);
          let shown = 0;
          return uploadFile(draft.file, {
            ...edits,
            signal,
            onProgress: (fraction) => {
              if (fraction - shown < 0.01 && fraction < 1) return;
              shown = fraction;
              dispatch({ type: "phase", key, phase: { kind: "uploading", progress: fraction } });
            },
          });
        });
      void (async () => {
        try {
          const first: ItemProgress = mediaId ? { id: mediaId, state: "processing" } : await upload();
          const id = first.id;
          mediaId = id;
          dispatch({ type: "phase", key, phase: { kind: "processing", mediaId: id } });
          await waitUntilProcessed(first, signal);
          dispatch({ type: "phase", key, phase: { kind: "ready", mediaId: id } });
        } catch (error) {
          const offline = signal.reason === "offline" || (error instanceof ApiError && error.status === 0);
          if (signal.aborted && !offline) return;
          if (offline) {
            dispatch({ type: "phase", key, phase: { kind: "interrupted", message: OFFLINE_MESSAGE, mediaId } });
          } else if (error instanceof ApiError && (error.status >= 500 || error.status === 429)) {
            dispatch({ type: "phase", key, phase: { kind: "interrupted", message: error.message, mediaId } });
          } else {
            const message = error instanceof ProcessingFailed ? error.message : messageOf(error);
            dispatch({ type: "phase", key, phase: { kind: "failed", message, mediaId } });
            setShareRequested(false);
          }
        } finally {
          if (controllers.current.get(key) === controller) controllers.current.delete(key);
        }
      })();
    },
    [limit],
  );

  // Going offline stops the uploads at once (each can be retried); nothing else is lost.
  useEffect(() => {
    const stop = () => controllers.current.forEach((controller) => controller.abort("offline"));
    window.addEventListener("offline", stop);
    return () => window.removeEventListener("offline", stop);
  }, []);

  // Leaving the composer stops its uploads, frees the local previews and deletes uploaded items
  // that no post took.
  const latest = useRef({ drafts: state.drafts, posted: false });
  latest.current = { drafts: state.drafts, posted: createPost.isSuccess || createPost.isPending };
  useEffect(() => {
    const active = controllers.current;
    const previews = urls.current;
    return () => {
      active.forEach((controller) => controller.abort("unmount"));
      active.clear();
      previews.forEach((url) => URL.revokeObjectURL(url));
      previews.clear();
      if (!latest.current.posted) {
        for (const draft of latest.current.drafts) {
          const mediaId = mediaIdOf(draft);
          if (mediaId) discardUpload(mediaId);
        }
      }
    };
  }, []);

  // Closing the tab with picked items asks first: see leaving.ts.
  const hasDrafts = state.drafts.length > 0;

  // Once "Share" was pressed and every item is ready, the post is created.
  const allReady = hasDrafts && state.drafts.every((draft) => draft.phase.kind === "ready");
  useEffect(() => {
    if (!shareRequested || !allReady || createPost.isPending) return;
    setShareRequested(false);
    createPost.mutate({ drafts: state.drafts, settings });
  }, [shareRequested, allReady, createPost, state.drafts, settings]);

  const blocked = state.drafts.some((draft) => draft.phase.kind === "failed");
  const busy =
    createPost.isPending ||
    (shareRequested && state.drafts.some((draft) => !["ready", "interrupted"].includes(draft.phase.kind)));

  const addFiles = (files: File[]) => {
    if (busy) return;
    const room = MAX_ITEMS - state.drafts.length;
    const usable = files.filter((file) => kindOf(file) !== null);
    const problems: string[] = [];
    const refused = files.length - usable.length;
    if (refused > 0) problems.push(`${refused === 1 ? "One file is" : `${refused} files are`} not a photo or video.`);
    if (usable.length > room) {
      problems.push(`A post has up to ${MAX_ITEMS} photos and videos, so ${usable.length - room} were left out.`);
    }
    setNotice(problems.length > 0 ? problems.join(" ") : null);
    const drafts: Draft[] = usable.slice(0, Math.max(0, room)).map((file) => {
      const url = URL.createObjectURL(file);
      urls.current.add(url);
      nextKey.current += 1;
      return {
        key: `item-${nextKey.current}`,
        file,
        kind: kindOf(file) ?? "photo",
        url,
        ...NO_EDITS,
        altText: "",
        phase: { kind: "idle" },
      };
    });
    if (drafts.length > 0) dispatch({ type: "add", drafts });
  };

  const remove = (key: string) => {
    controllers.current.get(key)?.abort("removed");
    const draft = state.drafts.find((item) => item.key === key);
    if (draft) {
      URL.revokeObjectURL(draft.url);
      urls.current.delete(draft.url);
      const mediaId = mediaIdOf(draft);
      if (mediaId) discardUpload(mediaId);
    }
    dispatch({ type: "remove", key });
  };

  const share = () => {
    createPost.reset();
    if (characterCount(settings.caption) > CAPTION_LIMIT) {
      const message = `A caption can be at most ${CAPTION_LIMIT.toLocaleString("en")} characters.`;
      setCaptionError(new ApiError(400, "validation_error", message, { caption: message }));
      return;
    }
    setCaptionError(null);
    if (!hasDrafts || blocked || busy) return;
    setShareRequested(true);
    for (const draft of state.drafts) {
      if (draft.phase.kind === "idle" || draft.phase.kind === "interrupted") send(draft);
    }
  };

  const retry = (key: string) => {
    const draft = state.drafts.find((item) => item.key === key);
    if (draft?.phase.kind === "interrupted") send(draft);
  };

  return {
    state,
    dispatch,
    settings,
    setSettings,
    notice,
    addFiles,
    remove,
    retry,
    share,
    blocked,
    busy,
    shareRequested,
    postError: captionError ?? createPost.error,
    posted,
  };
}

export type ComposerModel = ReturnType<typeof useComposer>;
