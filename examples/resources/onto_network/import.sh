# By the network's name (its VPC carries the onto ownership tag).
terraform import onto_network.core onto-prod
