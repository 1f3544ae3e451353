// The Query module; see README.md, "Repository organization".
