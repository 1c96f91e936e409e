# What the local emulator needs: it has no EKS add-ons.
cluster_addons = {}
