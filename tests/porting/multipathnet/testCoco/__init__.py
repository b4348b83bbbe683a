"""testCoco/ (init.lua: testCoco.evaluate; coco.lua: its call into pycocotools through fb.python)."""
