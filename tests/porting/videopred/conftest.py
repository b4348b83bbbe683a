"""test_frame_prediction_on_ucf_rec_gdl.py keeps the Lua script's name (test-frame-prediction-on-ucf-rec_gdl.lua),
so pytest must not collect it."""
collect_ignore = ['test_frame_prediction_on_ucf_rec_gdl.py']
