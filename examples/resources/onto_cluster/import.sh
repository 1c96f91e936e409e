# By cluster name (REGION:NAME for another region). Node groups named
# <key>-<hash> are recognised by their key.
terraform import onto_cluster.main onto-prod
