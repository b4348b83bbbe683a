"""code/lib/ of chuanli11/MGANs, ported line by line (loadcaffe_wrapper.lua, an ffi binding of loadcaffe's C++
library, is not ported: the test's stand-in returns a VGG-19 layout)."""
