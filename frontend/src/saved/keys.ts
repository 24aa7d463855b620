/** Query keys of saved posts and collections. */
export const SAVED_KEY = ["saved"] as const;
export const COLLECTIONS_KEY = ["collections"] as const;

export function collectionKey(id: string) {
  return ["collection", id] as const;
}

export function collectionPostsKey(id: string) {
  return ["collection", id, "posts"] as const;
}
