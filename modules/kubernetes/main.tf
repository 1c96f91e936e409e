locals {
  # Node groups per environment: an on-demand "core" group for the
  # platform's steady load and spot "workers" for the HPA's bursts.
  sizes = {
    dev     = { core_type = "t3.large", core_min = 1, core_max = 2, workers_max = 3 }
    staging = { core_type = "m6i.large", core_min = 2, core_max = 4, workers_max = 10 }
    prod    = { core_type = "m6i.xlarge", core_min = 3, core_max = 6, workers_max = 30 }
  }
  size = local.sizes[var.environment]

  node_groups = var.node_groups != null ? var.node_groups : {
    core = {
      instance_types = [local.size.core_type]
      min_size       = local.size.core_min
      max_size       = local.size.core_max
      desired_size   = local.size.core_min
      labels         = { "onto.io/pool" = "core" }
    }
    workers = {
      instance_types = ["m6i.large", "m5.large", "m6a.large"]
      capacity_type  = "SPOT"
      min_size       = 0
      max_size       = local.size.workers_max
      labels         = { "onto.io/pool" = "workers" }
      taints         = ["onto.io/spot=true:PreferNoSchedule"]
    }
  }
}

resource "onto_cluster" "this" {
  name                   = "${var.name}-${var.environment}"
  kubernetes_version     = var.kubernetes_version
  subnet_ids             = var.subnet_ids
  endpoint_public_access = true
  public_access_cidrs    = var.public_access_cidrs
  admin_principal_arns   = var.admin_principal_arns
  node_groups            = local.node_groups
  addons                 = var.addons
  tags                   = var.tags
}
