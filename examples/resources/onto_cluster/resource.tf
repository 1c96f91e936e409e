resource "onto_network" "core" {
  name               = "onto-${terraform.workspace}"
  cidr_block         = "10.20.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

resource "onto_cluster" "main" {
  name               = "onto-${terraform.workspace}"
  kubernetes_version = "1.33"
  subnet_ids         = onto_network.core.private_subnet_ids

  admin_principal_arns = ["arn:aws:iam::123456789012:role/platform-admins"]

  # Without node_groups: "core" (on-demand) and "workers" (spot).
  node_groups = {
    core = {
      instance_types = ["m6i.large"]
      min_size       = 2
      max_size       = 6
      desired_size   = 2 # at creation; the cluster autoscaler owns it afterwards
      labels         = { "onto.io/pool" = "core" }
    }
    workers = {
      instance_types = ["m6i.large", "m5.large", "m6a.large"]
      capacity_type  = "SPOT"
      min_size       = 0
      max_size       = 20
      taints         = ["onto.io/spot=true:PreferNoSchedule"]
    }
  }

  # Without addons: vpc-cni, kube-proxy, coredns, eks-pod-identity-agent at
  # the versions AWS recommends for the cluster version.
  addons = {
    "vpc-cni"                = {}
    "kube-proxy"             = {}
    "coredns"                = {}
    "eks-pod-identity-agent" = {}
    "aws-ebs-csi-driver"     = {}
  }
}

output "cluster_endpoint" {
  value = onto_cluster.main.endpoint
}
