using Striate.Cli;

return StriateCli.Run(args, Console.Out, Console.Error);
