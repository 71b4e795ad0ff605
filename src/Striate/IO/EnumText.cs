using System.Text.Json;
using System.Text.Json.Serialization;

namespace Striate.IO;

/// <summary>
/// The text of a setting's enum value as checkpoints and the command line write it: the member's name in lower case
/// (<c>OptimizerKind.AdamW</c> is "adamw"). Reading is case-insensitive and accepts names only, never numbers.
/// </summary>
public static class EnumText
{
    /// <summary>The value's name in lower case.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a member of <typeparamref name="T"/>.</exception>
    public static string Name<T>(T value) where T : struct, Enum =>
        Enum.IsDefined(value) ? value.ToString().ToLowerInvariant() : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a {typeof(T).Name}.");

    /// <summary>Every member's name, in declaration order.</summary>
    public static IReadOnlyList<string> Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Name).ToArray();

    /// <summary>The member named <paramref name="text"/> (any case).</summary>
    /// <param name="text">The name.</param>
    /// <param name="what">What the setting is, for the message ("optimizer").</param>
    /// <param name="whats">Its plural ("optimizers").</param>
    /// <exception cref="ArgumentException">No member has that name; the message lists the valid ones.</exception>
    public static T Parse<T>(string text, string what, string whats) where T : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var v in Enum.GetValues<T>())
            if (string.Equals(Name(v), text, StringComparison.OrdinalIgnoreCase)) return v;
        throw new ArgumentException($"unknown {what} '{text}'. Valid {whats}: {string.Join(", ", Names<T>())}.");
    }

    /// <summary>Writes and reads <typeparamref name="T"/> as its lower-case name in JSON.</summary>
    public sealed class JsonConverter<T> : System.Text.Json.Serialization.JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected the name of a {typeof(T).Name}, found {reader.TokenType}.");
            try
            {
                return Parse<T>(reader.GetString()!, typeof(T).Name, typeof(T).Name + " values");
            }
            catch (ArgumentException e)
            {
                throw new JsonException(e.Message);
            }
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));
    }
}
