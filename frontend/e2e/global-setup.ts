/** Photos for the scenarios to upload, drawn by Pillow (the project's own Python environment). */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fixturesDir } from "./support";

export default function globalSetup() {
  mkdirSync(fixturesDir, { recursive: true });
  const script = `
import sys
from PIL import Image, ImageDraw
out = sys.argv[1]
for name, size, colours in [("landscape", (1200, 800), ((230, 120, 60), (40, 80, 160))),
                            ("portrait", (800, 1000), ((60, 170, 120), (250, 220, 90))),
                            ("square", (900, 900), ((150, 60, 180), (240, 240, 240)))]:
    image = Image.new("RGB", size, colours[0])
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.2, h * 0.2, w * 0.8, h * 0.8), fill=colours[1])
    draw.rectangle((0, h * 0.85, w, h), fill=(20, 20, 20))
    image.save(f"{out}/{name}.jpg", quality=88)
with open(f"{out}/broken.jpg", "wb") as broken:
    broken.write(b"this is not a photo at all" * 40)
`;
  execFileSync("../.venv/bin/python", ["-c", script, fixturesDir]);
}
