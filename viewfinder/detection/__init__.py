"""Automated detection (issue 15): text spam (`spam`), known-bad media by PDQ hash (`pdq`) and nudity
by open_nsfw (`nsfw`). Each detector gives a score and a reason, never deletes anything by itself:
the caller decides between allow, hold for review, hide behind a warning or refuse, by thresholds
in settings. Models run on the CPU (scikit-learn, onnxruntime); training data come from registry
packages and are read at train time only; `viewfinder ml ...` trains, evaluates and tries them."""
