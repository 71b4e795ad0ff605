// TensorPrimitives is imported by alias: System.Numerics.Tensors also declares a type named Tensor.
global using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
