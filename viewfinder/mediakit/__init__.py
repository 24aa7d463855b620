"""Media infrastructure, free of any domain: storage backends, URL signing, photo and video decoding
and renditions, upload sniffing. The media domain (viewfinder.media) and the others build on it."""
