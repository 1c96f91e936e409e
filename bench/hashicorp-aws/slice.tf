# Object-for-object hashicorp/aws 3.39 equivalent of
#   onto_network  { availability_zones = 2 AZs, nat_mode = "single" (dev), cache_subnets = false }
#   onto_registry { 2 lifecycle rules }
#   onto_db       { dev profile, allowed_cidr_blocks = [vpc cidr] }
# 31 resources. Not reproducible in 3.39: onto_db's Secrets Manager-managed
# master password (manage_master_user_password is 5.x) — a literal password here.

locals {
  name = "bench"
  azs  = ["us-east-1a", "us-east-1b"]
  tier = { public = 0, private = 8, database = 16 } # subnet index offset per tier
}

# --- onto_network ---

resource "aws_vpc" "this" {
  cidr_block           = "10.9.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = local.name }
}

resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id # no ingress/egress blocks: every rule removed
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${local.name}-igw" }
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 5, local.tier.public + count.index)
  tags              = { Name = "${local.name}-public-${substr(local.azs[count.index], -1, 1)}" }
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 5, local.tier.private + count.index)
  tags              = { Name = "${local.name}-private-${substr(local.azs[count.index], -1, 1)}" }
}

resource "aws_subnet" "database" {
  count             = 2
  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 5, local.tier.database + count.index)
  tags              = { Name = "${local.name}-database-${substr(local.azs[count.index], -1, 1)}" }
}

resource "aws_eip" "nat" {
  vpc  = true
  tags = { Name = "${local.name}-eip-a" }
}

resource "aws_nat_gateway" "this" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id
  tags          = { Name = "${local.name}-nat-a" }
  depends_on    = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${local.name}-public" }
}

resource "aws_route" "public_default" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One private route table per AZ (as onto), all through the single NAT.
resource "aws_route_table" "private" {
  count  = 2
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${local.name}-private-${substr(local.azs[count.index], -1, 1)}" }
}

resource "aws_route" "private_default" {
  count                  = 2
  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this.id
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

resource "aws_route_table" "database" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${local.name}-database" }
}

resource "aws_route_table_association" "database" {
  count          = 2
  subnet_id      = aws_subnet.database[count.index].id
  route_table_id = aws_route_table.database.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.us-east-1.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat(aws_route_table.private[*].id, [aws_route_table.database.id])
  tags              = { Name = "${local.name}-s3" }
}

# --- onto_registry (defaults: IMMUTABLE, scan on push, AES256) ---

resource "aws_ecr_repository" "api" {
  name                 = "${local.name}/api"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "api" {
  repository = aws_ecr_repository.api.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "keep the last 20 releases"
        selection    = { tagStatus = "tagged", tagPrefixList = ["v"], countType = "imageCountMoreThan", countNumber = 20 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "drop untagged layers after a week"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
    ]
  })
}

# --- onto_db (dev profile: db.t4g.micro, single-AZ, 1 day backups, no
#     deletion protection, no final snapshot, no Performance Insights,
#     apply_immediately; always encrypted; both log exports) ---

resource "aws_db_subnet_group" "db" {
  name       = "${local.name}-db"
  subnet_ids = aws_subnet.database[*].id
}

resource "aws_security_group" "db" {
  name        = "${local.name}-db"
  description = "PostgreSQL for ${local.name}"
  vpc_id      = aws_vpc.this.id
}

resource "aws_security_group_rule" "db_in" {
  type              = "ingress"
  security_group_id = aws_security_group.db.id
  protocol          = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_blocks       = [aws_vpc.this.cidr_block]
}

resource "aws_db_instance" "db" {
  identifier                      = "${local.name}-db"
  engine                          = "postgres"
  engine_version                  = "16.4"
  instance_class                  = "db.t4g.micro"
  allocated_storage               = 20
  storage_type                    = "gp3"
  storage_encrypted               = true
  username                        = "onto"
  password                        = "not-a-secret-123"
  db_subnet_group_name            = aws_db_subnet_group.db.name
  vpc_security_group_ids          = [aws_security_group.db.id]
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  backup_retention_period         = 1
  multi_az                        = false
  deletion_protection             = false
  performance_insights_enabled    = false
  apply_immediately               = true
  skip_final_snapshot             = true
}
