# Variables for the local emulator (make demo): none differ from AWS's, as
# the emulator serves every API the platform uses, add-ons included.
