#include <pybind11/stl.h>

#include <optional>
#include <type_traits>
#include <vector>

#include "bindings.hpp"
#include "socialrx/linkage/nhs_numbers.hpp"

namespace socialrx::bindings {
namespace {

// A numpy array of exactly T, viewed without copying (pybind11 would convert anything else).
template <class T>
std::span<const T> exactly(py::handle object, const char* what) {
  if (!py::isinstance<Array<T>>(object))
    throw py::type_error(std::string("nhs_numbers: ") + what + " must be a 1-D contiguous array");
  return column(py::reinterpret_borrow<Array<T>>(object));
}

// A chunk as Python passes it: (offsets, data, validity, bit offset) for text, (numbers, None,
// validity, bit offset) for int64 numbers; validity None when every row is present.
template <class Chunk>
Chunk chunk_of(const py::tuple& chunk) {
  const Validity validity =
      chunk[2].is_none()
          ? Validity{}
          : Validity{exactly<std::uint8_t>(chunk[2], "validity"), chunk[3].cast<std::size_t>()};
  if constexpr (std::is_same_v<Chunk, NhsIntegers>) {
    return {exactly<std::int64_t>(chunk[0], "numbers"), validity};
  } else {
    using Offset = typename decltype(Chunk::offsets)::value_type;
    const auto data = exactly<std::uint8_t>(chunk[1], "data");
    return {exactly<Offset>(chunk[0], "offsets"),
            {reinterpret_cast<const char*>(data.data()), data.size()},
            validity};
  }
}

std::size_t rows_of(const NhsIntegers& chunk) {
  return chunk.numbers.size();
}
template <class Offset>
std::size_t rows_of(const NhsText<Offset>& chunk) {
  return chunk.offsets.empty() ? 0 : chunk.offsets.size() - 1;
}

template <class Chunk>
py::tuple run(const py::list& items, const std::optional<py::buffer>& key, unsigned threads) {
  std::vector<Chunk> chunks;
  std::size_t rows = 0;
  for (const py::handle item : items) {
    chunks.push_back(chunk_of<Chunk>(item.cast<py::tuple>()));
    rows += rows_of(chunks.back());
  }
  Array<bool> valid(static_cast<py::ssize_t>(rows));
  const std::span<bool> valid_out(valid.mutable_data(), rows);
  if (!key) {
    {
      py::gil_scoped_release release;  // plain buffers only
      check_nhs_numbers<Chunk>(chunks, valid_out, threads);
    }
    return py::make_tuple(py::none(), valid);
  }
  const py::buffer_info secret = key->request();
  if (secret.itemsize != 1 || secret.ndim != 1 || secret.strides[0] != 1)
    throw py::type_error("nhs_numbers: the key must be contiguous bytes");
  Array<std::int64_t> pseudonyms(static_cast<py::ssize_t>(rows));
  {
    py::gil_scoped_release release;
    pseudonymise_nhs_numbers<Chunk>(
        chunks,
        {static_cast<const std::uint8_t*>(secret.ptr), static_cast<std::size_t>(secret.size)},
        {pseudonyms.mutable_data(), rows}, valid_out, threads);
  }
  return py::make_tuple(pseudonyms, valid);
}

}  // namespace

void add_linkage(py::module_& m) {
  m.def(
      "nhs_numbers",
      [](const py::list& chunks, const std::optional<py::buffer>& key, const AnyInt& threads) {
        const auto workers = whole<unsigned>(threads, "nhs_numbers", "threads");
        if (chunks.empty() || chunks[0].cast<py::tuple>()[1].is_none())
          return run<NhsIntegers>(chunks, key, workers);
        if (py::isinstance<Array<std::int32_t>>(chunks[0].cast<py::tuple>()[0]))
          return run<NhsText<std::int32_t>>(chunks, key, workers);
        return run<NhsText<std::int64_t>>(chunks, key, workers);
      },
      py::arg("chunks"), py::arg("key") = py::none(), py::arg("threads") = 0,
      "Arrow chunks of NHS numbers read in place, each (offsets, data, validity, bit offset) for "
      "text or (int64 numbers, None, validity, bit offset): (pseudonyms under key, or None "
      "without one; whether each row is a valid NHS number). The key is kept nowhere.");
}

}  // namespace socialrx::bindings
