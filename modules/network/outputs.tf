output "vpc_id" {
  description = "VPC id."
  value       = onto_network.this.vpc_id
}

output "cidr_block" {
  description = "VPC CIDR block."
  value       = var.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (load balancers)."
  value       = onto_network.this.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets (the cluster)."
  value       = onto_network.this.private_subnet_ids
}

output "database_subnet_ids" {
  description = "Database subnets."
  value       = onto_network.this.database_subnet_ids
}

output "cache_subnet_ids" {
  description = "Cache subnets."
  value       = onto_network.this.cache_subnet_ids
}

output "private_subnets_by_az" {
  description = "Private subnet per AZ."
  value       = onto_network.this.private_subnets_by_az
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways."
  value       = onto_network.this.nat_public_ips
}
