"""helpers/ of rtqichen/style-swap (MIT licence), ported line by line."""
