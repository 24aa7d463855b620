/** /create: the post composer (src/composer). */
import { Composer } from "../composer/Composer";

export function Create() {
  return <Composer />;
}
