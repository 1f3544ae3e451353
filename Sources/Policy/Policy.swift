// The Policy module; see README.md, "Repository organization".
