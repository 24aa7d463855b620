/** The action row's icons, drawn from the app's icon set (24px, currentColor; decorative: their buttons carry
 * the names). */
import { Icon } from "../components/Icon";

type IconProps = { filled?: boolean; size?: number };

export function HeartIcon(props: IconProps) {
  return <Icon name="heart" {...props} />;
}

export function CommentIcon(props: IconProps) {
  return <Icon name="comment" {...props} />;
}

export function BookmarkIcon(props: IconProps) {
  return <Icon name="bookmark" {...props} />;
}

export function ShareIcon(props: IconProps) {
  return <Icon name="share" {...props} />;
}
