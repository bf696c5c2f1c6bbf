"""The Heat engine: templates, stacks, resources and their durable operations."""
